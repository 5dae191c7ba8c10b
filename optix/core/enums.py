"""Codes carried in the columnar batches: option right, venues, condition flags.

Venues are stored as small integer codes so that a batch column is a ``uint8`` array; code 0 is
reserved for "unknown" and is what a parser writes for a venue it does not recognise, so that
validation can reject the row with :attr:`RejectReason.UNKNOWN_VENUE`.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag

__all__ = ["Condition", "EquityVenue", "OptionVenue", "Right"]


class Right(IntEnum):
    """Option right, stored as ``int8``; the value doubles as the call/put sign."""

    UNKNOWN = 0
    CALL = 1
    PUT = -1

    @classmethod
    def parse(cls, text: str) -> Right:
        """Return the right for ``'C'``, ``'call'``, ``'P'``, ``'put'`` (any case), else UNKNOWN."""
        t = text.strip().upper()
        if t in ("C", "CALL"):
            return cls.CALL
        if t in ("P", "PUT"):
            return cls.PUT
        return cls.UNKNOWN

    @property
    def letter(self) -> str:
        """The OCC letter: ``'C'``, ``'P'`` or ``'?'``."""
        return {1: "C", -1: "P"}.get(self.value, "?")


class OptionVenue(IntEnum):
    """US listed-options exchanges (OPRA participants), keyed by ISO 10383 MIC.

    US equity and index options trade only on these exchanges; there is no off-exchange ("dark")
    venue for listed options. The OPRA participant letter of each is in :data:`OPRA_LETTER`.
    """

    UNKNOWN = 0
    AMXO = 1  # NYSE American Options
    XBOX = 2  # BOX Options Exchange
    XCBO = 3  # Cboe Options Exchange
    EMLD = 4  # MIAX Emerald
    EDGO = 5  # Cboe EDGX Options
    GMNI = 6  # Nasdaq GEMX
    XISX = 7  # Nasdaq ISE
    MCRY = 8  # Nasdaq MRX
    XMIO = 9  # MIAX Options
    ARCO = 10  # NYSE Arca Options
    MPRL = 11  # MIAX Pearl
    XNDQ = 12  # Nasdaq Options Market
    SPHR = 13  # MIAX Sapphire
    XBXO = 14  # Nasdaq BX Options
    MXOP = 15  # MEMX Options
    C2OX = 16  # Cboe C2 Options
    XPHL = 17  # Nasdaq PHLX
    BATO = 18  # Cboe BZX Options

    @classmethod
    def parse(cls, text: str) -> OptionVenue:
        """Return the venue for a MIC (``'XCBO'``) or OPRA letter (``'C'``); UNKNOWN otherwise."""
        t = text.strip().upper()
        if len(t) == 1:
            return _OPRA_FROM_LETTER.get(t, cls.UNKNOWN)
        try:
            return cls[t] if t != "UNKNOWN" else cls.UNKNOWN
        except KeyError:
            return cls.UNKNOWN


OPRA_LETTER: dict[OptionVenue, str] = {
    OptionVenue.AMXO: "A",
    OptionVenue.XBOX: "B",
    OptionVenue.XCBO: "C",
    OptionVenue.EMLD: "D",
    OptionVenue.EDGO: "E",
    OptionVenue.GMNI: "H",
    OptionVenue.XISX: "I",
    OptionVenue.MCRY: "J",
    OptionVenue.XMIO: "M",
    OptionVenue.ARCO: "N",
    OptionVenue.MPRL: "P",
    OptionVenue.XNDQ: "Q",
    OptionVenue.SPHR: "S",
    OptionVenue.XBXO: "T",
    OptionVenue.MXOP: "U",
    OptionVenue.C2OX: "W",
    OptionVenue.XPHL: "X",
    OptionVenue.BATO: "Z",
}
"""OPRA participant identifier letter of each options exchange."""

_OPRA_FROM_LETTER = {letter: venue for venue, letter in OPRA_LETTER.items()}


class EquityVenue(IntEnum):
    """US equity venues: lit exchanges and the off-exchange trade reporting facilities.

    Off-exchange prints (ATS "dark pools" and internalisers) reach the tape through a FINRA
    Trade Reporting Facility or the ADF; :attr:`is_off_exchange` marks those.
    """

    UNKNOWN = 0
    XNYS = 1  # NYSE
    XNAS = 2  # Nasdaq
    ARCX = 3  # NYSE Arca
    XASE = 4  # NYSE American
    BATS = 5  # Cboe BZX
    BATY = 6  # Cboe BYX
    EDGA = 7  # Cboe EDGA
    EDGX = 8  # Cboe EDGX
    IEXG = 9  # IEX
    MEMX = 10  # MEMX
    EPRL = 11  # MIAX Pearl Equities
    XCHI = 12  # NYSE Chicago
    XCIS = 13  # NYSE National
    XBOS = 14  # Nasdaq BX
    XPSX = 15  # Nasdaq PSX
    LTSE = 16  # Long-Term Stock Exchange
    FINN = 100  # FINRA/Nasdaq TRF Carteret
    FINC = 101  # FINRA/Nasdaq TRF Chicago
    FINY = 102  # FINRA/NYSE TRF
    XADF = 103  # FINRA Alternative Display Facility

    @property
    def is_off_exchange(self) -> bool:
        """True for trade reporting facilities (where dark-pool prints are reported)."""
        return self.value >= 100

    @classmethod
    def parse(cls, text: str) -> EquityVenue:
        """Return the venue for a MIC (``'XNAS'``, ``'FINN'``); UNKNOWN otherwise."""
        t = text.strip().upper()
        try:
            return cls[t] if t != "UNKNOWN" else cls.UNKNOWN
        except KeyError:
            return cls.UNKNOWN


class Condition(IntFlag):
    """Trade condition flags, stored as a ``uint32`` bitmask per print."""

    NONE = 0
    ISO = 1 << 0
    """Intermarket sweep order."""
    AUCTION = 1 << 1
    """Printed in an auction (opening, closing, price improvement)."""
    MULTI_LEG = 1 << 2
    """Leg of a complex (multi-leg) order."""
    LATE = 1 << 3
    """Reported late."""
    OUT_OF_SEQUENCE = 1 << 4
    """Reported out of sequence."""
    CANCEL = 1 << 5
    """Cancels an earlier print."""
    OPENING = 1 << 6
    """Opening print."""
    STOCK_OPTION = 1 << 7
    """Option leg of a stock-option combination."""
    FORM_T = 1 << 8
    """Extended-hours trade (equities)."""
    ODD_LOT = 1 << 9
    """Odd-lot trade (equities)."""

    @classmethod
    def no_side(cls) -> Condition:
        """Flags whose prints get no aggressor side: canceled, late, out-of-sequence."""
        return cls.CANCEL | cls.LATE | cls.OUT_OF_SEQUENCE
