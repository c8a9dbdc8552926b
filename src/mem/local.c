/* SPDX-License-Identifier: BSD-3-Clause */
/* This process's window table, and the window events for the control
 * plane (mem_local.h). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "common/log.h"
#include "mem/heap.h"
#include "mem/mem_local.h"

#define MAX_LISTENERS 8

struct event {
	struct event *next;
	struct mem_window_desc w;
	int added;
};

struct listener {
	mem_window_listener_t fn;
	void *ctx;
};

static struct mem_wt *local_table;
static pthread_once_t local_once = PTHREAD_ONCE_INIT;

/* Lock order: deliver_lock, then queue_lock. Listeners run under
 * deliver_lock only. */
static pthread_mutex_t deliver_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static struct listener listeners[MAX_LISTENERS];   /* under deliver_lock */
static atomic_int nlisteners;
static struct event *queue_head, **queue_tail = &queue_head; /* under queue_lock */
static atomic_int queue_pending;
static __thread int delivering;

static void
local_create(void)
{
	local_table = mem_wt_create("local");
	if (local_table == NULL)
		abort(); /* a few hundred bytes at first use; nothing works without it */
	local_table->max_windows = IDD_MEM_MAX_WINDOWS;
}

struct mem_wt *
mem_local_table(void)
{
	pthread_once(&local_once, local_create);
	return local_table;
}

static void
desc_of(const struct mem_wt_rec *rec, struct mem_window_desc *w)
{
	*w = (struct mem_window_desc){
		.id = rec->id, .base = rec->base, .len = rec->len, .offset = rec->offset,
		.perms = rec->perms, .flags = rec->flags & (MEM_WIN_HEAP | MEM_WIN_REGISTERED |
							    MEM_WIN_HUGE),
	};
}

void
mem_local_event(const struct mem_wt_rec *rec, int added)
{
	if (rec->perms == 0 || atomic_load(&nlisteners) == 0)
		return; /* nobody to tell; a later listener gets the replay */
	struct event *ev = malloc(sizeof(*ev));
	if (ev == NULL) {
		IDD_LOG(ERR, "mem: window %p %s: out of memory, peers are not told",
			(void *)(uintptr_t)rec->base, added ? "added" : "removed");
		return;
	}
	desc_of(rec, &ev->w);
	ev->added = added;
	ev->next = NULL;
	pthread_mutex_lock(&queue_lock);
	*queue_tail = ev;
	queue_tail = &ev->next;
	atomic_store(&queue_pending, 1);
	pthread_mutex_unlock(&queue_lock);
}

static void
run_queue(void)
{
	for (;;) {
		pthread_mutex_lock(&queue_lock);
		struct event *ev = queue_head;
		queue_head = NULL;
		queue_tail = &queue_head;
		atomic_store(&queue_pending, 0);
		pthread_mutex_unlock(&queue_lock);
		if (ev == NULL)
			return;
		while (ev != NULL) {
			struct event *next = ev->next;

			for (int i = 0; i < MAX_LISTENERS; i++)
				if (listeners[i].fn != NULL)
					listeners[i].fn(listeners[i].ctx, &ev->w, ev->added);
			free(ev);
			ev = next;
		}
	}
}

void
mem_local_deliver(void)
{
	if (delivering)
		return; /* a listener's own changes: the loop below picks them up */
	while (atomic_load(&queue_pending)) {
		/* If another thread is delivering, it checks the queue again
		 * after it lets go of the lock, and delivers ours. */
		if (pthread_mutex_trylock(&deliver_lock) != 0)
			return;
		delivering = 1;
		run_queue();
		delivering = 0;
		pthread_mutex_unlock(&deliver_lock);
	}
}

void
mem_local_flush(void)
{
	if (delivering || atomic_load(&nlisteners) == 0)
		return;
	/* Blocking, unlike mem_local_deliver(): a thread that took events off
	 * the queue holds deliver_lock until it has delivered them. */
	pthread_mutex_lock(&deliver_lock);
	delivering = 1;
	run_queue();
	delivering = 0;
	pthread_mutex_unlock(&deliver_lock);
}

int
mem_local_listen(mem_window_listener_t fn, void *ctx)
{
	struct mem_wt *t = mem_local_table();
	int slot = -1, nested = delivering;

	if (!nested)
		pthread_mutex_lock(&deliver_lock);
	for (int i = 0; i < MAX_LISTENERS; i++)
		if (listeners[i].fn == NULL) {
			slot = i;
			break;
		}
	if (slot < 0) {
		if (!nested)
			pthread_mutex_unlock(&deliver_lock);
		IDD_LOG(ERR, "mem: window listener refused: %d listeners already", MAX_LISTENERS);
		return -ENOSPC;
	}
	listeners[slot] = (struct listener){fn, ctx};
	atomic_fetch_add(&nlisteners, 1);

	/* Replay. Windows added meanwhile are also queued: duplicates. */
	unsigned int n = mem_wt_count(t) + 16;
	struct mem_wt_rec *recs = malloc(n * sizeof(*recs));
	if (recs != NULL) {
		unsigned int have = mem_wt_list(t, recs, n);

		if (have > n)
			IDD_LOG(WARNING, "mem: listener replay: %u windows appeared meanwhile, "
				"their events follow", have - n);
		for (unsigned int i = 0; i < have && i < n; i++) {
			struct mem_window_desc w;

			if (recs[i].perms == 0)
				continue;
			desc_of(&recs[i], &w);
			fn(ctx, &w, 1);
		}
		free(recs);
	} else {
		IDD_LOG(ERR, "mem: listener replay failed: out of memory");
	}
	if (!nested) {
		pthread_mutex_unlock(&deliver_lock);
		mem_local_deliver();
	}
	return 0;
}

void
mem_local_unlisten(mem_window_listener_t fn, void *ctx)
{
	int nested = delivering;

	if (!nested)
		pthread_mutex_lock(&deliver_lock);
	for (int i = 0; i < MAX_LISTENERS; i++)
		if (listeners[i].fn == fn && listeners[i].ctx == ctx) {
			listeners[i].fn = NULL;
			atomic_fetch_sub(&nlisteners, 1);
			break;
		}
	if (!nested)
		pthread_mutex_unlock(&deliver_lock);
}

unsigned int
mem_local_windows(struct mem_window_desc *out, unsigned int max)
{
	struct mem_wt *t = mem_local_table();
	unsigned int n = mem_wt_count(t) + 16;
	struct mem_wt_rec *recs = malloc(n * sizeof(*recs));
	unsigned int count = 0;

	if (recs == NULL)
		return 0;
	unsigned int have = mem_wt_list(t, recs, n);
	for (unsigned int i = 0; i < have && i < n; i++) {
		if (recs[i].perms == 0)
			continue;
		if (count < max)
			desc_of(&recs[i], &out[count]);
		count++;
	}
	free(recs);
	return count;
}

int
mem_local_export_fd(uint64_t id)
{
	return mem_wt_export_fd(mem_local_table(), id);
}

/* Fork child: its windows are not the parent's. Start over; the parent's
 * table and events are leaked in the child, and listeners (the parent's
 * control plane) do not exist here. */
__attribute__((used)) static struct mem_wt *inherited_table;
__attribute__((used)) static struct event *inherited_events;

void
mem_local_fork_child(void)
{
	inherited_table = local_table;
	inherited_events = queue_head;
	pthread_mutex_init(&deliver_lock, NULL);
	pthread_mutex_init(&queue_lock, NULL);
	for (int i = 0; i < MAX_LISTENERS; i++)
		listeners[i].fn = NULL;
	atomic_store(&nlisteners, 0);
	queue_head = NULL;
	queue_tail = &queue_head;
	atomic_store(&queue_pending, 0);
	delivering = 0;
	if (local_table != NULL) {
		local_table = mem_wt_create("local");
		if (local_table == NULL)
			abort();
		local_table->max_windows = IDD_MEM_MAX_WINDOWS;
	}
	(void)inherited_table;
	(void)inherited_events;
}
