"""Alibaba Cloud (阿里云) SMS and voice: the domestic provider for a mainland center.

- ``AliyunConfig`` (config.py): settings, with their environment names;
- ``make_api`` (client.py): the official SDK clients with timeouts;
- ``AliyunProvider`` (provider.py): the ``Provider`` the flows use;
- ``create_app`` (receiver.py): the callbacks under ``/aliyun/…``;
- ``templates.toml`` / templates.py: the registered texts, rendering, SMS length.
"""

from channels.aliyun.client import AliyunApi, make_api
from channels.aliyun.config import AliyunConfig
from channels.aliyun.errors import AliyunConfigError
from channels.aliyun.provider import AliyunProvider
from channels.aliyun.receiver import callback_paths, create_app

__all__ = [
    "AliyunApi",
    "AliyunConfig",
    "AliyunConfigError",
    "AliyunProvider",
    "callback_paths",
    "create_app",
    "make_api",
]
