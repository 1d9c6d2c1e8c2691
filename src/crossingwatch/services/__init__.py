"""Use cases, one plain function each. The CLI, the API and Ray workers all call these."""
