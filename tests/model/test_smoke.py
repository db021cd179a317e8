from tests.support.synth import by_kind_name


def test_default_app_synthesizes_every_documented_kind(default_objects):
    # GIVEN the default props WHEN synthesized THEN each documented kind is present
    kinds = {kind for kind, _ in by_kind_name(default_objects)}
    assert kinds == {"Namespace", "Deployment", "StatefulSet", "Service", "ConfigMap", "Secret", "Ingress",
                     # hardening (issue #5): identity, isolation, disruption budgets
                     "ServiceAccount", "NetworkPolicy", "PodDisruptionBudget",
                     # issue 11: deletion protection, volumes that outlive their claims
                     "StorageClass"}
