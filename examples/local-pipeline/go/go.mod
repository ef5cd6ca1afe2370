module local_pipeline

go 1.22
