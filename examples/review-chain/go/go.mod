module review_chain

go 1.22
