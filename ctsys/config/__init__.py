"""The appliance configuration document: schema, validation, storage and history."""
