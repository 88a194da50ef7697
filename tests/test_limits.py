"""Input limits: form bodies, and bodies cut short, broken off or streamed past MAX_CONTENT_LENGTH
(the whole-body limit is also in test_sip.py and, under gunicorn, in test_security_gunicorn.py)."""

import io
from urllib.parse import urlencode

import pytest

from burki_sip import create_app
from security_support import snapshot

LIMITS = {"TESTING": True, "MAX_FORM_PARTS": 10}


@pytest.fixture
def limited(fake_redis):
    return create_app(LIMITS, redis_client=fake_redis).test_client()


def fields(count: int) -> dict:
    return {"CallSid": "CA1", "CallStatus": "ringing",
            **{f"Extra{n}": "x" for n in range(count - 2)}}


@pytest.mark.parametrize("path", ["/sip-webhook", "/sip-status"])
@pytest.mark.parametrize("encoding", ["multipart", "urlencoded"])
def test_a_form_with_too_many_fields_is_413_json(limited, fake_redis, path, encoding):
    if encoding == "multipart":
        response = limited.post(path, data=fields(11), content_type="multipart/form-data")
    else:
        response = limited.post(path, data=urlencode(fields(11)),
                                content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert isinstance(response.get_json()["error"], str)
    assert snapshot(fake_redis) == {}


@pytest.mark.parametrize("path", ["/sip-webhook", "/sip-status"])
def test_a_field_sent_many_times_counts_each_time(limited, path):
    body = "CallSid=CA1&CallStatus=ringing&" + "&".join(["Tag=x"] * 9)
    response = limited.post(path, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert response.get_json() == {"error": "form has more than 10 fields"}


@pytest.mark.parametrize("path", ["/sip-webhook", "/sip-status"])
def test_a_form_at_the_limit_is_accepted(limited, path):
    body = fields(10)
    assert limited.post(path, data=body, content_type="multipart/form-data").status_code == 200
    assert limited.post(path, data=urlencode(body),
                        content_type="application/x-www-form-urlencoded").status_code == 200


def test_a_multipart_text_field_over_the_memory_limit_is_413_json(fake_redis):
    client = create_app({"TESTING": True, "MAX_FORM_MEMORY_SIZE": 4096},
                        redis_client=fake_redis).test_client()
    fits = client.post("/sip-status", data={**fields(3), "Extra0": "y" * 3000},
                       content_type="multipart/form-data")
    assert fits.status_code == 200
    before = snapshot(fake_redis)
    response = client.post("/sip-status", data={**fields(3), "Extra0": "y" * 4097},
                           content_type="multipart/form-data")
    assert response.status_code == 413
    assert "4096 bytes per text field" in response.get_json()["error"]
    assert snapshot(fake_redis) == before


def test_file_parts_count_as_parts(limited):
    files = {f"file{n}": (io.BytesIO(b"data"), f"f{n}.txt") for n in range(10)}
    response = limited.post("/sip-webhook", data={"CallSid": "CA1", **files},
                            content_type="multipart/form-data")
    assert response.status_code == 413


def test_the_defaults_fit_a_real_provider_callback(client):
    # A Twilio status callback has about 20 fields of a few dozen bytes each.
    body = {"CallSid": "CA1", "CallStatus": "completed", "AccountSid": "AC" + "0" * 32,
            **{f"Field{n}": "v" * 60 for n in range(30)}}
    assert client.post("/sip-status", data=body).status_code == 200
    assert client.post("/sip-status", data=body,
                       content_type="multipart/form-data").status_code == 200


def post_chunked(client, body: bytes, kind: str):
    """A body as a streaming server hands it over: no Content-Length, input terminated."""
    return client.post("/sip-webhook", input_stream=io.BytesIO(body), content_type=kind,
                       headers={"Transfer-Encoding": "chunked"},
                       environ_overrides={"wsgi.input_terminated": True})


@pytest.mark.parametrize("kind", ["application/json", "application/x-www-form-urlencoded"])
def test_a_streamed_body_over_the_limit_is_413_never_stored_truncated(fake_redis, kind):
    client = create_app({"TESTING": True, "MAX_CONTENT_LENGTH": 100},
                        redis_client=fake_redis).test_client()
    if kind == "application/json":
        body = b'{"call_sid": "CA1", "pad": "' + b"x" * 200 + b'"}'
    else:
        body = b"CallSid=CA1&pad=" + b"x" * 200
    response = post_chunked(client, body, kind)
    assert response.status_code == 413
    assert response.get_json() == {"error": "request body too large (limit 100 bytes)"}
    assert snapshot(fake_redis) == {}


def test_a_streamed_body_of_exactly_the_limit_is_read_whole(fake_redis):
    client = create_app({"TESTING": True, "MAX_CONTENT_LENGTH": 100},
                        redis_client=fake_redis).test_client()
    body = b"CallSid=CA1&pad=" + b"x" * 84
    assert len(body) == 100
    assert post_chunked(client, body, "application/x-www-form-urlencoded").status_code == 200
    entry = fake_redis.xrange("burki:sip:events:webhook")[0][1]
    assert entry["payload"] == '{"CallSid":"CA1","pad":"' + "x" * 84 + '"}'


class BrokenOff(io.BytesIO):
    """A server's body stream that raises its own error type part-way, as gunicorn does for a
    chunked body cut inside a chunk."""

    class ServerOwnError(Exception):
        pass

    def read(self, size=-1):
        data = super().read(4 if size is None or size < 0 else min(size, 4))
        if not data:
            raise self.ServerOwnError("chunk missing its terminator")
        return data


@pytest.mark.parametrize("terminated", [True, False], ids=["server-terminated", "plain"])
@pytest.mark.parametrize("kind", ["application/json", "application/x-www-form-urlencoded"])
def test_a_body_shorter_than_its_length_is_400_and_stores_nothing(fake_redis, kind, terminated):
    client = create_app({"TESTING": True}, redis_client=fake_redis).test_client()
    whole = b'{"call_sid": "CA1", "status": "ringing"}' if kind == "application/json" \
        else b"CallSid=CA1&CallStatus=ringing"
    # The environ's length, not a header: the test client would set it from the stream.
    environ = {"CONTENT_LENGTH": str(len(whole))}
    if terminated:
        environ["wsgi.input_terminated"] = True
    response = client.post("/sip-status", input_stream=io.BytesIO(whole[:-3]), content_type=kind,
                           environ_overrides=environ)
    assert response.status_code == 400
    assert "incomplete" in response.get_json()["error"]
    assert snapshot(fake_redis) == {}


@pytest.mark.parametrize("kind", ["application/json", "application/x-www-form-urlencoded"])
def test_a_body_whose_read_fails_is_400_and_stores_nothing(fake_redis, kind):
    client = create_app({"TESTING": True}, redis_client=fake_redis).test_client()
    response = client.post("/sip-webhook", input_stream=BrokenOff(b'{"call_sid": "CA1"'),
                           content_type=kind, headers={"Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 400
    assert "incomplete" in response.get_json()["error"]
    assert snapshot(fake_redis) == {}
