"""Changing models or policies safely in the worker: shadow mode and canary rollouts.

A *configuration* (``configs.RolloutConfig``) names the models, tier settings and policy file a
stage judges with. Shadow mode runs a candidate configuration beside production on a sample of
items and publishes the comparison; a canary routes a share of tenants or items to a candidate
for real. ``wiring.rolled_out`` wraps a stage's judge with both.
"""
