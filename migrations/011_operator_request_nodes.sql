-- Several nodes share the operators: every node's routing core must apply an operator's
-- login, logout, pause and unpause, each node exactly once. This table records which
-- node applied which request; the request's own result is written by the node that
-- owns the operator (holds its claim) or, when nobody does, by the first node.
CREATE TABLE operator_request_nodes (
    request_id  bigint NOT NULL REFERENCES operator_requests (id) ON DELETE CASCADE,
    node        text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now(),
    result      text NOT NULL,
    PRIMARY KEY (request_id, node)
);
