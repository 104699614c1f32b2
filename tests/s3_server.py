"""A local S3-compatible server for the tests: moto's server mode, started as a process of its own and
spoken to over HTTP, with credentials checked (a wrong key or secret is refused as by a real server).

Fixtures: `s3_server` (one per test session and xdist worker: endpoint, access key, secret key) and
`s3_bucket` (a fresh, empty bucket per test, its name).
"""
from __future__ import annotations

import json
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass

import pytest


@dataclass
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str

    def client(self, access_key: str | None = None, secret_key: str | None = None):
        import boto3
        from botocore.config import Config

        return boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, region_name="us-east-1",
            aws_access_key_id=access_key or self.access_key, aws_secret_access_key=secret_key or self.secret_key,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))

    def config(self, bucket: str, **extra: str) -> dict[str, str]:
        """The MELDPUNT_* settings for this server and `bucket`."""
        return {"MELDPUNT_STORAGE": "s3", "MELDPUNT_S3_BUCKET": bucket, "MELDPUNT_S3_ENDPOINT_URL": self.endpoint,
                "MELDPUNT_S3_REGION": "us-east-1", "MELDPUNT_S3_ACCESS_KEY": self.access_key,
                "MELDPUNT_S3_SECRET_KEY": self.secret_key, **extra}

    def objects(self, bucket: str) -> dict[str, bytes]:
        """Every object in the bucket: key -> bytes."""
        client = self.client()
        found = {}
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                found[item["Key"]] = client.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        return found


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _iam(endpoint: str):
    import boto3

    return boto3.session.Session().client("iam", endpoint_url=endpoint, region_name="us-east-1",
                                          aws_access_key_id="setup", aws_secret_access_key="setup")


@pytest.fixture(scope="session")
def s3_server():
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto's S3 server did not start") from None
                time.sleep(0.2)
        # One user allowed everything in S3; from then on every request must be signed with its key.
        iam = _iam(endpoint)
        iam.create_user(UserName="meldpunt")
        iam.put_user_policy(UserName="meldpunt", PolicyName="s3", PolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName="meldpunt")["AccessKey"]
        request = urllib.request.Request(f"{endpoint}/moto-api/reset-auth", data=b"0", method="POST",
                                         headers={"Content-Type": "text/plain"})
        urllib.request.urlopen(request, timeout=5).close()
        yield S3Server(endpoint, key["AccessKeyId"], key["SecretAccessKey"])
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def s3_bucket(s3_server) -> str:
    """A fresh bucket of its own for one test."""
    name = f"meldpunt-{secrets.token_hex(6)}"
    s3_server.client().create_bucket(Bucket=name)
    return name
