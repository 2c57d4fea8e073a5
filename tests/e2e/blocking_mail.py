"""An e-mail backend that never finishes sending: a worker using it can be killed mid-task."""

import time
from collections.abc import Sequence
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend


class BlockingEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[Any]) -> int:
        time.sleep(300)  # the test kills the worker long before this returns
        return 0
