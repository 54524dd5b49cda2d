module baton/context_compare

go 1.19
