"""bothy's ABI specs (hypercalls, error codes) loaded into plain IR.

The YAML files under abi/ are the single source; generators and tests read them through here.
"""
