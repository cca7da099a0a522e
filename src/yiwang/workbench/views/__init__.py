"""The workbench's pages, one module per page group; every rule stays in the services."""
