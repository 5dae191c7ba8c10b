"""Configuration of the Alpaca market-data adapter."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["AlpacaDataConfig"]


@dataclass(frozen=True, slots=True, repr=False)
class AlpacaDataConfig:
    """Keys, endpoints and polite-client settings for Alpaca market data.

    Attributes
    ----------
    api_key, secret_key : str
        Alpaca credentials (from the environment: ``APCA_API_KEY_ID`` /
        ``APCA_API_SECRET_KEY``); never logged, never in ``repr``.
    paper : bool
        Trading endpoint (option contracts live there): paper or live.
    data_url, trading_url : str or None
        Base URL overrides (tests point both at a local stand-in server).
    stream_url : str or None
        WebSocket URL override for the live option stream.
    options_feed : {'indicative', 'opra'}
        ``opra`` needs a paid subscription.
    symbols : tuple of str
        Underlyings to follow when used as a feed.
    poll_s : float
        Seconds between chain-snapshot polls when used as a feed.
    retries : int
        Retries after a 429 or 5xx answer.
    backoff_s : float
        First wait between retries (doubles each time; a ``Retry-After`` header wins).
    """

    api_key: str
    secret_key: str
    paper: bool = True
    data_url: str | None = None
    trading_url: str | None = None
    stream_url: str | None = None
    options_feed: str = "indicative"
    symbols: tuple[str, ...] = field(default=("SPY", "QQQ"))
    poll_s: float = 60.0
    retries: int = 4
    backoff_s: float = 1.0

    def __post_init__(self) -> None:
        if not self.api_key or not self.secret_key:
            raise ValueError("Alpaca needs api_key and secret_key (APCA_API_KEY_ID / "
                             "APCA_API_SECRET_KEY)")
        if self.options_feed not in ("indicative", "opra"):
            raise ValueError(f"options_feed must be 'indicative' or 'opra', "
                             f"got {self.options_feed!r}")
        if self.retries < 0 or self.backoff_s < 0 or self.poll_s <= 0:
            raise ValueError("retries and backoff_s must be >= 0, poll_s > 0")

    def __repr__(self) -> str:
        return (f"AlpacaDataConfig(paper={self.paper}, data_url={self.data_url!r}, "
                f"trading_url={self.trading_url!r}, feed={self.options_feed!r}, "
                f"symbols={self.symbols!r}, api_key=**********, secret_key=**********)")
