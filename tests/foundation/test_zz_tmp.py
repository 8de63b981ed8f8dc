from collections import Counter
from django.test import Client
from tests.foundation.test_crawl import site, crawl, url_name  # noqa

def test_count(site):
    responses, linked = crawl(Client())
    print(len(responses)); print(Counter(url_name(p) for p in responses))
    for p in sorted(responses): print(p, responses[p].status_code)
