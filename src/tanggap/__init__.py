"""Tanggap: a helpdesk with a CRM view of every customer."""

__version__ = "0.1.0"
