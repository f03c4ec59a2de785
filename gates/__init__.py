"""Project-specific policy gates that run on every synth beside cdk-nag and cfn-guard."""
