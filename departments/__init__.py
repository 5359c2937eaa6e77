"""Department numbers (R11b, R13): the admin's list, and transferring a caller to one."""
