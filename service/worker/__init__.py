"""Background work: a loop of tasks, each taking one unit of work per step."""
