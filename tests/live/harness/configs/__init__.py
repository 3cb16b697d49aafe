from harness.configs.base import Base
from harness.configs.dict import Dict
ALL = [Base, Dict]
BY_NAME = {config.name: config for config in ALL}
