"""System descriptions: schema, validation and the typed IR the rest of the tooling reads.

Use load_config(); it either returns a fully checked SystemConfig or raises ConfigError.
"""

from bothy.config.load import ConfigError, load_config
from bothy.config.model import Device, IpcLink, Machine, Region, SystemConfig, Vm

__all__ = [
    "ConfigError",
    "Device",
    "IpcLink",
    "Machine",
    "Region",
    "SystemConfig",
    "Vm",
    "load_config",
]
