"""The cost estimate of each kind of stack (pattern G2): SageMaker hosting, the workspace, ingestion and
the pipelines; scripts/cost.py `estimate` calls them per stack of a synthesized profile."""

from __future__ import annotations

import json
import re

from scripts.cost_model import _ref_id, _runs_per_month


def _sagemaker_hosting(stack, by_type, idle, unit_line, hours) -> None:
    configs = by_type.get("AWS::SageMaker::EndpointConfig", {})
    endpoints = by_type.get("AWS::SageMaker::Endpoint", {})
    scaling = {}
    for p in by_type.get("Custom::VariantScaling", {}).values():
        for variant in p.get("Variants", []):
            scaling[(p.get("EndpointName"), variant["VariantName"])] = int(variant["MinCapacity"])
    for endpoint in endpoints.values():
        config = configs.get(_ref_id(endpoint.get("EndpointConfigName")) or "", {})
        name = endpoint.get("EndpointName", "endpoint")
        for variant in config.get("ProductionVariants", []):
            if "ServerlessConfig" in variant:
                memory = int(variant["ServerlessConfig"]["MemorySizeInMB"]) / 1024
                unit_line(
                    stack,
                    f"{name}/{variant['VariantName']}: per 1,000 serverless predictions",
                    [
                        (1000 * 0.1 * memory, "sagemaker.serverless_gb_second", None),
                        (1000 * 20 / 1e6, "sagemaker.serverless_data_gb", None),
                    ],
                    "1,000 predictions",
                )
                continue
            count = scaling.get((name, variant["VariantName"]), int(variant.get("InitialInstanceCount", 1)))
            kind = variant["InstanceType"]
            asynchronous = " (async)" if "AsyncInferenceConfig" in config else ""
            idle(
                stack,
                f"{name}/{variant['VariantName']}{asynchronous}: {count} x {kind}",
                count * hours,
                "instance-hours",
                "sagemaker.hosting_hour",
                kind,
            )
            unit_line(
                stack,
                f"{name}/{variant['VariantName']}: per instance-hour above minimum ({kind})",
                [(1, "sagemaker.hosting_hour", kind)],
                "instance-hour",
            )
        for variant in config.get("ShadowProductionVariants", []):
            count = int(variant.get("InitialInstanceCount", 1))
            kind = variant["InstanceType"]
            idle(
                stack,
                f"{name}/{variant['VariantName']} (shadow): {count} x {kind}",
                count * hours,
                "instance-hours",
                "sagemaker.hosting_hour",
                kind,
            )


def _workspace(stack, by_type, resources, idle, unit_line, hours) -> None:
    for p in by_type.get("AWS::SageMaker::NotebookInstance", {}).values():
        name, kind = p.get("NotebookInstanceName", "notebook"), p["InstanceType"]
        volume = int(p.get("VolumeSizeInGB", 5))
        if p.get("LifecycleConfigName"):  # the project's lifecycle configuration carries the idle stop
            idle(
                stack,
                f"notebook {name}: {volume} GB volume (stopped when idle)",
                volume,
                "GB-months",
                "sagemaker.ml_storage_gb_month",
            )
        else:
            idle(stack, f"notebook {name}: {kind} running", hours, "hours", "sagemaker.notebook_hour", kind)
            idle(stack, f"notebook {name}: {volume} GB volume", volume, "GB-months", "sagemaker.ml_storage_gb_month")
        unit_line(stack, f"notebook {name}: per working hour ({kind})", [(1, "sagemaker.notebook_hour", kind)], "hour")
    alarms = by_type.get("AWS::CloudWatch::Alarm", {}).values()
    for logical_id, p in by_type.get("AWS::EC2::Instance", {}).items():
        kind = p["InstanceType"]
        stops = any(
            any("ec2:stop" in json.dumps(a) for a in alarm.get("AlarmActions", []))
            and any(_ref_id(d.get("Value")) == logical_id for d in alarm.get("Dimensions", []))
            for alarm in alarms
        )
        volume = sum(int(m.get("Ebs", {}).get("VolumeSize", 8)) for m in p.get("BlockDeviceMappings", [])) or 8
        if not stops:
            idle(stack, f"EC2 {logical_id}: {kind} running", hours, "hours", "ec2.instance_hour", kind)
        idle(
            stack,
            f"EC2 {logical_id}: {volume} GB gp3" + (" (stopped when idle)" if stops else ""),
            volume,
            "GB-months",
            "ebs.gp3_gb_month",
        )
        unit_line(stack, f"EC2 {logical_id}: per running hour ({kind})", [(1, "ec2.instance_hour", kind)], "hour")


def _ingestion(stack, by_type, idle, unit_line, hours) -> None:
    gb_records = 1024 * 1024  # 1 KB records per GB
    for p in by_type.get("AWS::Kinesis::Stream", {}).values():
        name = p.get("Name", "stream")
        retention = int(p.get("RetentionPeriodHours", 24))
        if p.get("StreamModeDetails", {}).get("StreamMode") == "ON_DEMAND":
            idle(stack, f"Kinesis {name}: on-demand stream", hours, "stream-hours", "kinesis.on_demand_stream_hour")
            unit_line(
                stack,
                f"Kinesis {name}: per GB written and read once",
                [(1, "kinesis.on_demand_data_in_gb", None), (1, "kinesis.on_demand_data_out_gb", None)],
                "GB",
            )
        else:
            shards = int(p.get("ShardCount", 1))
            idle(
                stack,
                f"Kinesis {name}: {shards} provisioned shard(s)",
                shards * hours,
                "shard-hours",
                "kinesis.shard_hour",
            )
            if retention > 24:
                idle(
                    stack,
                    f"Kinesis {name}: retention {retention} h",
                    shards * hours,
                    "shard-hours",
                    "kinesis.extended_retention_shard_hour",
                )
            unit_line(
                stack,
                f"Kinesis {name}: per GB of 1 KB records (PUT payload units)",
                [(gb_records / 1e6, "kinesis.put_payload_units_million", None)],
                "GB",
            )
    for p in by_type.get("AWS::KinesisFirehose::DeliveryStream", {}).values():
        s3 = p.get("ExtendedS3DestinationConfiguration", {})
        parts = [(5, "firehose.ingest_gb", None)]  # 1 KB records billed in 5 KB increments
        what = "Firehose: per GB of 1 KB records (5 KB increments)"
        if s3.get("DataFormatConversionConfiguration", {}).get("Enabled"):
            parts.append((1, "firehose.format_conversion_gb", None))
            what += " + Parquet conversion"
        if s3.get("DynamicPartitioningConfiguration", {}).get("Enabled"):
            parts.append((1, "firehose.dynamic_partitioning_gb", None))
            what += " + dynamic partitioning"
        parts.append((1, "s3.standard_gb_month", None))
        unit_line(stack, what + " + a month in S3", parts, "GB")
    triggers = by_type.get("AWS::Glue::Trigger", {}).values()
    for p in by_type.get("AWS::Glue::Crawler", {}).values():
        cron = p.get("Schedule", {}).get("ScheduleExpression")
        if cron:
            runs = _runs_per_month(cron)
            idle(
                stack,
                f"Glue crawler {p.get('Name')}: {runs:.0f} runs x 10 min x 2 DPU (minimum)",
                runs * 2 * 10 / 60,
                "DPU-hours",
                "glue.dpu_hour",
            )
    for p in by_type.get("AWS::Glue::Job", {}).values():
        dpus = float(p.get("NumberOfWorkers", 2)) * {"G.2X": 2, "G.4X": 4}.get(p.get("WorkerType", "G.1X"), 1)
        name = p.get("Name", "job")
        cron = next(
            (
                t.get("Schedule")
                for t in triggers
                if any(a.get("JobName") == name for a in t.get("Actions", [])) and t.get("Schedule")
            ),
            None,
        )
        if cron:
            runs = _runs_per_month(cron)
            idle(
                stack,
                f"Glue job {name}: {runs:.0f} runs x 1 min x {dpus:g} DPU (minimum)",
                runs * dpus / 60,
                "DPU-hours",
                "glue.dpu_hour",
            )
    if by_type.get("AWS::Athena::WorkGroup"):
        unit_line(stack, "Athena: per GB scanned", [(1 / 1024, "athena.tb_scanned", None)], "GB")


_STEP_RESOURCES = {
    "Training": ("ResourceConfig", "sagemaker.training_hour"),
    "Processing": ("ProcessingResources.ClusterConfig", "sagemaker.processing_hour"),
    "Transform": ("TransformResources", "sagemaker.transform_hour"),
}


def _all_steps(steps: list[dict]) -> list[dict]:
    """Steps, with those a condition step runs on either branch (each counted: an upper bound)."""
    found = []
    for step in steps:
        found.append(step)
        arguments = step.get("Arguments", {})
        found += _all_steps(arguments.get("IfSteps", []) + arguments.get("ElseSteps", []))
    return found


def _pipelines(stack, by_type, unit_line) -> None:
    for p in by_type.get("AWS::SageMaker::Pipeline", {}).values():
        body = p.get("PipelineDefinition", {}).get("PipelineDefinitionBody")
        if isinstance(body, dict) and "Fn::Sub" in body:
            sub = body["Fn::Sub"]
            body = sub[0] if isinstance(sub, list) else sub
        if not isinstance(body, str):
            continue
        definition = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))
        parts, described = [], []
        for step in _all_steps(definition.get("Steps", [])):
            arguments = step.get("Arguments", {})
            step_type = step.get("Type")
            jobs = 1
            if step_type == "Tuning":
                jobs = int(arguments["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxNumberOfTrainingJobs"])
                arguments, step_type = arguments.get("TrainingJobDefinition", {}), "Training"
            if step_type not in _STEP_RESOURCES:
                continue
            path, item = _STEP_RESOURCES[step_type]
            resources = arguments
            for key in path.split("."):
                resources = resources.get(key, {})
            kind, count = resources.get("InstanceType"), int(resources.get("InstanceCount", 1))
            seconds = int(arguments.get("StoppingCondition", {}).get("MaxRuntimeInSeconds", 3600))
            if step_type == "Transform":
                seconds = 3600  # a transform job has no maximum runtime: one hour stated
            if not isinstance(kind, str):
                continue
            parts.append((jobs * count * seconds / 3600, item, kind))
            described.append(f"{step['Name']} {jobs * count}x{kind} {seconds // 60} min")
        if parts:
            unit_line(stack, f"pipeline run at maximum runtimes ({'; '.join(described)})", parts, "run")
