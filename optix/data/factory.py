"""One factory from settings to a market source."""

from __future__ import annotations

from optix.config import OptixSettings
from optix.data.source import MarketSource

__all__ = ["make_source"]


def make_source(settings: OptixSettings) -> MarketSource:
    """The source ``settings.feed.source`` names: synthetic, replay or alpaca.

    Raises
    ------
    ValueError
        For Alpaca without keys (they come from ``APCA_API_KEY_ID`` /
        ``APCA_API_SECRET_KEY``).
    """
    feed = settings.feed
    if feed.source == "replay":
        from optix.data.replay.source import ReplaySource

        assert feed.path is not None  # the config validator guarantees it
        return ReplaySource([feed.path])
    if feed.source == "alpaca":
        from optix.data.alpaca import AlpacaDataConfig, AlpacaSource

        broker = settings.broker
        if broker.api_key is None or broker.secret_key is None:
            raise ValueError("feed 'alpaca' needs APCA_API_KEY_ID and APCA_API_SECRET_KEY")
        return AlpacaSource(AlpacaDataConfig(
            api_key=broker.api_key.get_secret_value(),
            secret_key=broker.secret_key.get_secret_value(),
            paper=broker.alpaca_paper, data_url=broker.url_override,
            trading_url=broker.url_override,
        ), stream=True)
    from optix.data.synthetic import SyntheticConfig, SyntheticMarket

    return SyntheticMarket(SyntheticConfig(n_symbols=feed.symbols, seed=feed.seed))
