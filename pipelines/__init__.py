"""SageMaker Pipeline definitions built with the SageMaker Python SDK (patterns M1-M7).

Definitions are built offline at synth time and deployed by CDK as AWS::SageMaker::Pipeline.
"""
