from harness.configs.base import Base
ALL = [Base]
BY_NAME = {config.name: config for config in ALL}
