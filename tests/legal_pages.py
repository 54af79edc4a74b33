"""What the tests of the imprint, the privacy notice and the accessibility statement share."""

import re
from html import unescape


def text_of(response) -> str:
    """The page as a reader sees it: entities decoded, whitespace collapsed."""
    return unescape(re.sub(r"\s+", " ", response.content.decode()))
