"""HTTP controllers, one per resource, with their request and response Structs."""
