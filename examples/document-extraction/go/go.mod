module document_extraction

go 1.22
