"""The password policy: long enough, and not guessable (zxcvbn: common-password and word lists, patterns)."""

from zxcvbn import zxcvbn

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
# zxcvbn's score 3: "safely unguessable", about 10^8 to 10^10 guesses; below it, common passwords and their variants.
MIN_STRENGTH_SCORE = 3
# zxcvbn refuses longer input and costs more with length; a strong beginning makes the whole strong enough.
STRENGTH_CHECKED_CHARACTERS = 72


def password_problem(password: str, *, user_inputs: tuple[str, ...] = ()) -> str | None:
    """Why password is refused, in a sentence, or None when it passes."""
    if len(password.strip()) < MIN_PASSWORD_LENGTH:
        # Ten spaces are ten characters; spaces around a password count for nothing.
        return f"a password needs at least {MIN_PASSWORD_LENGTH} characters besides surrounding spaces"
    verdict = zxcvbn(password[:STRENGTH_CHECKED_CHARACTERS], user_inputs=[i for i in user_inputs if i])
    if verdict["score"] < MIN_STRENGTH_SCORE:
        warning = verdict["feedback"].get("warning") or "It is too easy to guess."
        return f"this password is too easy to guess: {warning} Add words or characters nobody would expect."
    return None


def checked_password(password: str, *, user_inputs: tuple[str, ...] = ()) -> str:
    """password, or ValueError (a per-field 422 in a pydantic model) when the policy refuses it."""
    problem = password_problem(password, user_inputs=user_inputs)
    if problem is not None:
        raise ValueError(problem)
    return password
