"""Turns on SigV4 checking in a running moto server and prints a key pair.

moto checks signatures only against access keys of its own IAM backend, and
only once its "initial no-auth action count" is spent: create an IAM user
with an allow-all policy and an access key while auth is still off, then
reset the counter to 0 (the recipe in shared/research/servers.md).

Usage: python moto_auth.py http://127.0.0.1:PORT  ->  "<key id> <secret>"
"""
import json
import sys
import urllib.request
import uuid

import boto3

endpoint = sys.argv[1]
iam = boto3.client(
    "iam",
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="bootstrap",
    aws_secret_access_key="bootstrap",
)
user = "r2-ci-" + uuid.uuid4().hex[:8]
iam.create_user(UserName=user)
policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
iam.put_user_policy(UserName=user, PolicyName="allow-all", PolicyDocument=json.dumps(policy))
key = iam.create_access_key(UserName=user)["AccessKey"]
reset = urllib.request.Request(
    endpoint + "/moto-api/reset-auth",
    data=b"0",
    method="POST",
    headers={"Content-Type": "text/plain"},
)
urllib.request.urlopen(reset).read()
print(key["AccessKeyId"], key["SecretAccessKey"])
