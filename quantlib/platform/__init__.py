"""The platform's shared state: database, roles and permissions, audit log.

``config`` says where the database lives, ``db`` opens it and checks its schema,
``models`` holds the tables, ``rbac`` decides who may do what, and ``audit`` keeps the
hash-chained audit log. The platform service in ``hub/`` builds on these.
"""
