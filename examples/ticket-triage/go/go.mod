module ticket_triage

go 1.22
