"""The fake is as strict as Jenkins where our code relies on it: auth, crumbs, 404s."""
import requests

from tests.jenkins.conftest import TOKEN, USER
from tests.jenkins.fake_jenkins import FakeJenkins


def test_requests_without_or_with_wrong_credentials_get_401(fake: FakeJenkins) -> None:
    assert requests.get(fake.url + "api/json", timeout=5).status_code == 401
    wrong = requests.get(fake.url + "api/json", auth=(USER, "nope"), timeout=5)
    assert wrong.status_code == 401
    assert wrong.headers["WWW-Authenticate"].startswith("Basic")
    assert requests.get(fake.url + "api/json", auth=(USER, TOKEN), timeout=5).status_code == 200


def test_a_post_needs_the_users_crumb(fake: FakeJenkins) -> None:
    fake.add_job("app")
    session = requests.Session()
    session.auth = (USER, TOKEN)
    assert session.post(fake.url + "job/app/build", timeout=5).status_code == 403
    crumb = session.get(fake.url + "crumbIssuer/api/json", timeout=5).json()
    assert session.post(fake.url + "job/app/build", headers={"Jenkins-Crumb": "forged"},
                        timeout=5).status_code == 403
    queued = session.post(fake.url + "job/app/build",
                          headers={crumb["crumbRequestField"]: crumb["crumb"]}, timeout=5)
    assert queued.status_code == 201
    assert "/queue/item/" in queued.headers["Location"]


def test_unknown_jobs_and_builds_are_404(fake: FakeJenkins) -> None:
    fake.add_job("app")
    for path in ("job/nope/api/json", "job/app/1/api/json", "queue/item/9/api/json",
                 "no/such/page"):
        assert requests.get(fake.url + path, auth=(USER, TOKEN), timeout=5).status_code == 404


def test_console_text_grows_with_size_and_more_data_headers(fake: FakeJenkins) -> None:
    fake.add_job("app")
    fake.start_build("app")
    url = fake.url + "job/app/1/logText/progressiveText"
    first = requests.get(url, params={"start": 0}, auth=(USER, TOKEN), timeout=5)
    assert first.headers["X-More-Data"] == "true"
    size = int(first.headers["X-Text-Size"])
    second = requests.get(url, params={"start": size}, auth=(USER, TOKEN), timeout=5)
    assert second.text and not second.text.startswith(first.text)
