"""The AWS side of the Fargate plugin's end-to-end test
(tests/tests/fargate_plugin.rs), driven through moto's HTTP API with boto3
from the virtualenv of scripts/moto.sh. Every subcommand prints one JSON
document on stdout; errors go to stderr with a non-zero exit.

    aws_fixture.py ENDPOINT setup CLUSTER LOG_GROUP
        moto's ECS tasks stay RUNNING until stopped (moto's state manager
        otherwise advances a task one state per DescribeTasks); creates the
        ECS cluster, a VPC (DNS hostnames on) with a subnet and a security
        group, and the log group: {"subnet", "security_group"}
    aws_fixture.py ENDPOINT tasks CLUSTER
        every task of the cluster, described with tags, and its task
        definition: [{"arn", "last_status", "desired_status", "ip", "tags",
        "stopped_reason", "cpu", "memory", "containers": [{"name", "image",
        "environment"}], "task_definition_status"}]
    aws_fixture.py ENDPOINT put-logs GROUP STREAM LINE...
        creates the stream if needed and writes the lines as log events
    aws_fixture.py ENDPOINT stop-task CLUSTER TASK_ARN REASON
        stops a task behind Kubernetes' back (an operator, ECS itself)
"""

import json
import sys
import time

import boto3
import requests

REGION = "us-east-1"


def client(endpoint, service):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def setup(endpoint, cluster, log_group):
    # moto's documented state manager: tasks leave RUNNING only when stopped.
    r = requests.post(
        f"{endpoint}/moto-api/state-manager/set-transition",
        json={"model_name": "ecs::task", "transition": {"progression": "manual", "times": 1_000_000_000}},
        timeout=30,
    )
    r.raise_for_status()
    ecs = client(endpoint, "ecs")
    ec2 = client(endpoint, "ec2")
    logs = client(endpoint, "logs")
    ecs.create_cluster(clusterName=cluster)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=f"{cluster}-pods", Description="vk-host pods", VpcId=vpc)["GroupId"]
    logs.create_log_group(logGroupName=log_group)
    return {"subnet": subnet, "security_group": group}


def tasks(endpoint, cluster):
    ecs = client(endpoint, "ecs")
    arns = []
    for status in ("RUNNING", "STOPPED"):
        for page in ecs.get_paginator("list_tasks").paginate(cluster=cluster, desiredStatus=status):
            arns.extend(a for a in page["taskArns"] if a not in arns)
    out = []
    for start in range(0, len(arns), 100):
        described = ecs.describe_tasks(cluster=cluster, tasks=arns[start : start + 100], include=["TAGS"])
        for t in described["tasks"]:
            ip = ""
            for a in t.get("attachments", []):
                for d in a.get("details", []):
                    if d["name"] == "privateIPv4Address":
                        ip = d["value"]
            td = ecs.describe_task_definition(taskDefinition=t["taskDefinitionArn"])["taskDefinition"]
            out.append(
                {
                    "arn": t["taskArn"],
                    "last_status": t.get("lastStatus"),
                    "desired_status": t.get("desiredStatus"),
                    "launch_type": t.get("launchType"),
                    "ip": ip,
                    "tags": {x["key"]: x["value"] for x in t.get("tags", [])},
                    "stopped_reason": t.get("stoppedReason", ""),
                    "task_definition": t["taskDefinitionArn"],
                    "task_definition_status": td.get("status"),
                    "network_mode": td.get("networkMode"),
                    "cpu": td.get("cpu"),
                    "memory": td.get("memory"),
                    "containers": [
                        {
                            "name": c["name"],
                            "image": c["image"],
                            "environment": {e["name"]: e["value"] for e in c.get("environment", [])},
                            "log_options": c.get("logConfiguration", {}).get("options", {}),
                        }
                        for c in td["containerDefinitions"]
                    ],
                }
            )
    return out


def put_logs(endpoint, group, stream, lines):
    logs = client(endpoint, "logs")
    try:
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    now = int(time.time() * 1000)
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": now + i, "message": line} for i, line in enumerate(lines)],
    )
    return {"written": len(lines)}


def stop_task(endpoint, cluster, task, reason):
    stopped = client(endpoint, "ecs").stop_task(cluster=cluster, task=task, reason=reason)["task"]
    return {"last_status": stopped.get("lastStatus")}


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    endpoint, command, args = argv[1], argv[2], argv[3:]
    if command == "setup" and len(args) == 2:
        result = setup(endpoint, *args)
    elif command == "tasks" and len(args) == 1:
        result = tasks(endpoint, *args)
    elif command == "put-logs" and len(args) >= 3:
        result = put_logs(endpoint, args[0], args[1], args[2:])
    elif command == "stop-task" and len(args) == 3:
        result = stop_task(endpoint, *args)
    else:
        sys.exit(f"aws_fixture.py: unknown command or wrong arguments: {argv[2:]}\n{__doc__}")
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv)
