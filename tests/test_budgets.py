"""PDB arithmetic: percentages resolve against replicas and round up, as the disruption controller does."""
from readylint.inputs.yaml_docs import load_stream
from readylint.model.budgets import allowed_disruptions, budget_field, scaled
from readylint.model.objects import K8sObject


def pdb(spec: str) -> K8sObject:
    text = f"apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: b}}\nspec: {spec}\n"
    return K8sObject("pdb.yaml", 0, load_stream(text).documents[0].data)


def test_scaled_rounds_percentages_up():
    assert scaled("50%", 3) == 2
    assert scaled("34%", 3) == 2
    assert scaled("0%", 5) == 0
    assert scaled(2, 10) == 2
    assert scaled("2", 10) == 2
    assert scaled("lots", 3) is None
    assert scaled(True, 3) is None


def test_allowed_disruptions():
    assert allowed_disruptions(pdb("{maxUnavailable: 1}"), 3) == 1
    assert allowed_disruptions(pdb("{maxUnavailable: 0}"), 3) == 0
    assert allowed_disruptions(pdb("{maxUnavailable: '0%'}"), 3) == 0
    assert allowed_disruptions(pdb("{maxUnavailable: '10%'}"), 3) == 1  # rounded up
    assert allowed_disruptions(pdb("{minAvailable: 1}"), 1) == 0
    assert allowed_disruptions(pdb("{minAvailable: 2}"), 3) == 1
    assert allowed_disruptions(pdb("{minAvailable: '100%'}"), 3) == 0
    assert allowed_disruptions(pdb("{minAvailable: '50%'}"), 3) == 1  # ceil(1.5) = 2 must stay up
    assert allowed_disruptions(pdb("{minAvailable: 5}"), 3) == 0
    assert allowed_disruptions(pdb("{}"), 3) == 3


def test_budget_field_prefers_max_unavailable():
    assert budget_field(pdb("{maxUnavailable: 1, minAvailable: 1}")) == "maxUnavailable"
    assert budget_field(pdb("{minAvailable: 1}")) == "minAvailable"
    assert budget_field(pdb("{}")) is None
