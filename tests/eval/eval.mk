# make eval: precision and recall of lookalike detection on the labelled
# evaluation set in tests/eval/ (see tests/eval/eval.lua). EVAL_ARGS=-v
# lists every miss and false alarm.
.PHONY: eval
eval: $(BUILD)/tests/test_domain_lua
	@CERTMON_TOP=$(CURDIR) $(BUILD)/tests/test_domain_lua \
	  tests/eval/eval.lua $(EVAL_ARGS)

# make bench-detect: microseconds per name for the lookalike detector.
.PHONY: bench-detect
bench-detect: $(BUILD)/tests/test_domain_lua
	@CERTMON_TOP=$(CURDIR) $(BUILD)/tests/test_domain_lua tests/eval/bench.lua
