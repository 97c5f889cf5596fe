"""MongoDB adapters: documents, mappers, one repository per port."""
