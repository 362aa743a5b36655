"""`ctsys snmp`: net-snmp's snmpd configuration, the product subtree subagent, notifications."""
