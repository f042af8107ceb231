# For scrapyd-deploy, which builds the egg it uploads with `setup.py bdist_egg`. All metadata
# (and the `scrapy` entry point scrapyd reads the settings module from) is in pyproject.toml.
from setuptools import setup

setup()
