/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Enqueue/dequeue mode (IDD_DMA_CFG_FLAG_ENQ_DEQ): the application hands
 * over struct idd_dma_op pointers, each a scatter-gather copy of its own
 * segments, and gets them back in the same order with op->status set. The
 * op memory is the application's until dequeue, so the ring stores only
 * the pointer and the engine reads the segments in place. Every
 * enqueue_ops call is one burst for the fence rule. Each entry is its
 * operation, inlined, plus a trace probe that exists only with
 * -Dtrace_fastpath=true.
 */
#include "common/trace.h"
#include "drivers/sw/sw_dev.h"

static inline __attribute__((always_inline)) uint16_t
enqueue_ops(struct sw_dev *sd, uint16_t vchan, struct idd_dma_op **ops, uint16_t nb_ops)
{
	struct sw_vchan *vc;
	uint16_t head, room, n;

	if (sw_unlikely(vchan >= sd->ops_vchans || ops == NULL)) {
		sw_refuse_fast(sd, vchan, "enqueue_ops");
		return 0;
	}
	vc = &sd->vchans[vchan];
	head = atomic_load_explicit(&vc->head, memory_order_relaxed);
	room = (uint16_t)(vc->nb_desc -
			  (uint16_t)(head - atomic_load_explicit(&vc->collected,
								 memory_order_relaxed)));
	n = nb_ops < room ? nb_ops : room;
	for (uint16_t i = 0; i < n; i++)
		sw_slot_put(vc, (uint16_t)(head + i), (uintptr_t)ops[i], 0, 0,
			    SW_OP_FLAGS(SW_OP_OPS, ops[i]->flags));
	if (n == 0)
		return 0;
	atomic_store_explicit(&vc->head, (uint16_t)(head + n), memory_order_relaxed);
	sw_submit_vchan(sd, vc);
	return n;
}

uint16_t
sw_enqueue_ops(void *dev_private, uint16_t vchan, struct idd_dma_op **ops, uint16_t nb_ops)
{
	struct sw_dev *sd = dev_private;
	uint16_t ret = enqueue_ops(sd, vchan, ops, nb_ops);

	trace_enqueue_ops(sd->dev_id, vchan, ops, nb_ops, ret);
	return ret;
}

static inline __attribute__((always_inline)) uint16_t
dequeue_ops(struct sw_dev *sd, uint16_t vchan, struct idd_dma_op **ops, uint16_t nb_ops)
{
	struct sw_vchan *vc;
	uint32_t errors = 0;
	uint16_t coll, fin, n;
	bool failures;

	if (sw_unlikely(vchan >= sd->deq_vchans || ops == NULL)) {
		sw_refuse_fast(sd, vchan, "dequeue_ops");
		return 0;
	}
	vc = &sd->vchans[vchan];
	coll = atomic_load_explicit(&vc->collected, memory_order_relaxed);
	/* Acquire: pairs with the release store of finished in sw_run(); the
	 * copies and op->status of [coll, fin) are visible after it. */
	fin = atomic_load_explicit(&vc->finished, memory_order_acquire);
	n = (uint16_t)(fin - coll);
	if (n > nb_ops)
		n = nb_ops;
	failures = atomic_load_explicit(&vc->fin_errors, memory_order_relaxed) != vc->coll_errors;
	for (uint16_t i = 0; i < n; i++) {
		const unsigned int slot = (uint16_t)(coll + i) & vc->mask;
		const struct sw_operands o = sw_slot_operands(vc->ring, vc->wide, slot, vc->packed);
		struct idd_dma_op *op = (struct idd_dma_op *)(uintptr_t)o.a;

		ops[i] = op;
		if (sw_unlikely(failures) && op->status != IDD_DMA_STATUS_SUCCESSFUL)
			errors++;
	}
	if (n != 0)
		sw_consume(vc, coll, n, errors);
	return n;
}

uint16_t
sw_dequeue_ops(void *dev_private, uint16_t vchan, struct idd_dma_op **ops, uint16_t nb_ops)
{
	struct sw_dev *sd = dev_private;
	uint16_t ret = dequeue_ops(sd, vchan, ops, nb_ops);

	trace_dequeue_ops(sd->dev_id, vchan, ops, nb_ops, ret);
	return ret;
}
