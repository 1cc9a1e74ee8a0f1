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


def test_a_post_signed_with_a_password_needs_the_users_crumb(fake: FakeJenkins) -> None:
    fake.add_job("app")
    session = requests.Session()
    session.auth = (USER, fake.users[USER].password)
    assert session.post(fake.url + "job/app/build", timeout=5).status_code == 403
    crumb = session.get(fake.url + "crumbIssuer/api/json", timeout=5).json()
    assert session.post(fake.url + "job/app/build", headers={"Jenkins-Crumb": "forged"},
                        timeout=5).status_code == 403
    queued = session.post(fake.url + "job/app/build",
                          headers={crumb["crumbRequestField"]: crumb["crumb"]}, timeout=5)
    assert queued.status_code == 201
    assert "/queue/item/" in queued.headers["Location"]


def test_a_post_signed_with_an_api_token_needs_no_crumb(fake: FakeJenkins) -> None:
    fake.add_job("app")
    queued = requests.post(fake.url + "job/app/build", auth=(USER, TOKEN), timeout=5)
    assert queued.status_code == 201


def test_jobs_in_folders_and_polling_needs_job_build(fake: FakeJenkins) -> None:
    fake.add_job("team", "<com.cloudbees.hudson.plugins.folder.Folder/>")
    fake.add_job("team/app")
    info = requests.get(fake.url + "job/team/job/app/api/json", auth=(USER, TOKEN), timeout=5)
    assert (info.json()["name"], info.json()["fullName"]) == ("app", "team/app")
    polled = requests.post(fake.url + "job/team/job/app/polling", auth=(USER, TOKEN),
                           allow_redirects=False, timeout=5)
    assert polled.status_code == 302 and polled.headers["Location"].endswith("job/team/job/app/")
    refused = requests.post(fake.url + "job/team/job/app/polling",
                            auth=("dev", fake.users["dev"].token), timeout=5)
    assert refused.status_code == 403
    assert fake.polls == [("team/app", USER)]
    not_a_folder = requests.post(fake.url + "job/team/job/app/createItem?name=x",
                                 auth=(USER, TOKEN), data=b"<flow-definition/>", timeout=5)
    assert not_a_folder.status_code == 404 and "team/app/x" not in fake.jobs


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
