"""The commitments of the disclosure workflow, as first published for every tenant (version 1)."""

import enum
import hashlib
from typing import Literal

Language = Literal["zh", "en"]
KindName = Literal["accuracy", "deadline"]
LANGUAGES: tuple[Language, ...] = ("zh", "en")


class CommitmentKind(enum.StrEnum):
    """accuracy: read before explaining; deadline: read before sending."""

    ACCURACY = "accuracy"
    DEADLINE = "deadline"


FIRST_TEXTS: dict[CommitmentKind, dict[Language, str]] = {
    CommitmentKind.ACCURACY: {
        "zh": "我们保证所提供的全部信息真实、准确，并知悉上述信息将向公众公开。",
        "en": (
            "We guarantee that all information provided is genuine and accurate. "
            "We acknowledge that the information will be disclosed to the public."
        ),
    },
    CommitmentKind.DEADLINE: {
        "zh": (
            "我们正在通过蔚蓝地图数据库跟踪自身的环境表现。"
            "如出现新的违规记录，我们承诺在10个工作日内采取整改措施并作出公开说明。"
        ),
        "en": (
            "We are tracking our own environmental performance via the Blue Map Database. "
            "If new violations occur, we promise to take corrective actions and make public explanations "
            "within 10 working days."
        ),
    },
}


def text_sha256(text: str) -> str:
    """Fingerprint of the exact text a user read: SHA-256 of its UTF-8 bytes, hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
