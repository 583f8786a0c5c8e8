"""Column names shared by every package: the glossary, defined once.

Indexes and volumes are in the meter's own unit (``m3``, ``L``, ``kWh`` or
``Wh``, recorded with the meter), so their names do not carry a unit; a
column in a fixed unit says so (``energy_kwh``). Times are tz-aware, UTC in
frames.
"""

METER_ID = "meter_id"
TS = "ts"  # time of a read, or start of an hourly interval [UTC]
START = "start"  # start of a curve period [local time of the meter]
INDEX = "index"  # cumulative register value as read [meter unit]
UNIT = "unit"
KIND = "kind"
QUALITY = "quality"  # a Quality
SOURCE = "source"
RECEIVED_AT = "received_at"  # when the store received a read [UTC]

# validated reads (estimate.validate_reads)
REGISTER = "register"  # continuous register: rollovers and replacements unwrapped [meter unit]
DELTA = "delta"  # consumption since the previous valid read [meter unit]
EXCLUDED = "excluded"  # bool: a read left out as a glitch

# validation findings
CODE = "code"  # a FindingCode
DETAIL = "detail"  # what a person reads about the finding
AMOUNT = "amount"  # the delta involved [meter unit]

# curves
VOLUME = "volume"  # consumption over an interval [meter unit]
ENERGY_KWH = "energy_kwh"  # gas energy over an interval [kWh]
ESTIMATED_SHARE = "estimated_share"  # part of the volume that is estimated [0-1]
METHOD = "method"  # a Method: how the volume was measured or estimated
RESOLUTION = "resolution"  # hour, day, month or year
