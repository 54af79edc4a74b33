"""The client's address, for rate limits and logs.

Behind a reverse proxy every request comes from the proxy, so limits per
address would throttle everyone together. The address in X-Forwarded-For is
believed only when the request comes from a proxy listed in TRUSTED_PROXIES;
otherwise anyone could claim any address and evade the limits.
"""

from django.conf import settings


def client_address(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.TRUSTED_PROXIES
    if not trusted or remote not in trusted:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    # The right-most address that is not one of our proxies is the one our
    # proxies saw; everything left of it was written by the client itself.
    for hop in reversed([hop for hop in hops if hop]):
        if hop not in trusted:
            return hop
    return remote
