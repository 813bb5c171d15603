"""The policy grammar (``cors.lark``), shipped as package data."""
