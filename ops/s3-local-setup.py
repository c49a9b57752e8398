"""Makes moto's server require signatures: creates an IAM user with every permission and prints
its access key and secret. The server must run with INITIAL_NO_AUTH_ACTION_COUNT=0; this opens
a window of exactly the three unsigned calls it makes.

    python3 ops/s3-local-setup.py http://127.0.0.1:PORT
"""
import json
import sys
import urllib.request

import boto3

endpoint = sys.argv[1]
urllib.request.urlopen(urllib.request.Request(
    endpoint + "/moto-api/reset-auth", data=b"3", method="POST", headers={"Content-Type": "text/plain"})).read()
iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                   aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
iam.create_user(UserName="nightshift")
iam.put_user_policy(UserName="nightshift", PolicyName="all", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
key = iam.create_access_key(UserName="nightshift")["AccessKey"]
print(key["AccessKeyId"], key["SecretAccessKey"])
