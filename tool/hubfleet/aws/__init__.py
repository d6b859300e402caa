"""AWS side effects at the edge: scale, drift, DNS, preflight and whoami through boto3.

Every module here takes boto3 clients as arguments; only the command line (`hubfleet/cli/aws.py`)
creates sessions and clients, so tests pass in clients backed by moto.
"""
