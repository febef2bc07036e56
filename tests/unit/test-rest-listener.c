/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "test-rest-listener"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libsoup/soup.h>

#include "sipcast-rest-listener.h"

/*
 * The REST listener in one process: a SoupServer behind it answering
 * every request, and clients on a thread of their own speaking raw HTTP
 * over loopback, so each way of leaving a connection can be played
 * exactly.  What is checked is what libsoup 3.2 alone gets wrong: every
 * connection is gone (and its descriptor closed) once the client is.
 */

#define REQUEST "POST /rest-api/x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}"

typedef struct {
  SoupServer *soup;
  SipcastRestListener *listener;
  guint port;
} Fixture;

typedef void (*ClientFunc) (Fixture *fixture);

static void
answer (SoupServer        *server,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, "{}", 2);
}

static void
setup (Fixture       *fixture,
       gconstpointer  data)
{
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GError) error = NULL;

  fixture->soup = soup_server_new (NULL, NULL);
  soup_server_add_handler (fixture->soup, NULL, answer, NULL, NULL);
  /* One second: the idle test waits for it. */
  fixture->listener = sipcast_rest_listener_new (fixture->soup, 1);
  g_assert_true (sipcast_rest_listener_listen (fixture->listener, address, &error));
  g_assert_no_error (error);
  fixture->port = sipcast_rest_listener_get_port (fixture->listener);
  g_assert_cmpuint (fixture->port, !=, 0);
}

static void
teardown (Fixture       *fixture,
          gconstpointer  data)
{
  g_clear_object (&fixture->listener);
  g_clear_object (&fixture->soup);
}

static guint
count_fds (void)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static int
connect_client (Fixture *fixture)
{
  struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons (fixture->port) };
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct timeval timeout = { .tv_sec = 10 };

  g_assert_cmpint (fd, >=, 0);
  sin.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (connect (fd, (struct sockaddr *) &sin, sizeof sin), ==, 0);
  /* A server that never answers fails the test rather than hangs it. */
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

static void
send_all (int         fd,
          const char *data,
          gsize       length)
{
  while (length > 0) {
    gssize n = send (fd, data, length, MSG_NOSIGNAL);

    g_assert_cmpint (n, >, 0);
    data += n;
    length -= n;
  }
}

/* One response off a kept connection: its status line. */
static char *
read_response (int fd)
{
  GString *data = g_string_new (NULL);
  char buffer[4096];
  const char *end, *length_header;
  gsize wanted;

  while ((end = strstr (data->str, "\r\n\r\n")) == NULL) {
    gssize n = recv (fd, buffer, sizeof buffer, 0);

    g_assert_cmpint (n, >, 0);
    g_string_append_len (data, buffer, n);
  }
  length_header = strstr (data->str, "Content-Length: ");
  g_assert_nonnull (length_header);
  wanted = (end - data->str) + 4 + g_ascii_strtoull (length_header + 16, NULL, 10);
  while (data->len < wanted) {
    gssize n = recv (fd, buffer, sizeof buffer, 0);

    g_assert_cmpint (n, >, 0);
    g_string_append_len (data, buffer, n);
  }
  /* Nothing beyond: these clients wait for each answer. */
  g_assert_cmpuint (data->len, ==, wanted);
  g_string_truncate (data, strcspn (data->str, "\r"));
  return g_string_free (data, FALSE);
}

/* Everything until the server closes. */
static char *
read_all (int fd)
{
  GString *data = g_string_new (NULL);
  char buffer[4096];
  gssize n;

  while ((n = recv (fd, buffer, sizeof buffer, 0)) > 0)
    g_string_append_len (data, buffer, n);
  g_assert_cmpint (n, ==, 0);
  return g_string_free (data, FALSE);
}

typedef struct {
  Fixture *fixture;
  ClientFunc func;
  gint done;
} ClientRun;

static gboolean
wake_up (gpointer data)
{
  return G_SOURCE_REMOVE;
}

static gpointer
client_thread (gpointer data)
{
  ClientRun *run = data;

  run->func (run->fixture);
  g_atomic_int_set (&run->done, 1);
  g_idle_add (wake_up, NULL);
  return NULL;
}

/* Runs @func on a thread while the main context serves it, then waits
 * (serving still) until the listener has no connection left. */
static void
run_client (Fixture    *fixture,
            ClientFunc  func)
{
  ClientRun run = { fixture, func, 0 };
  GThread *thread = g_thread_new ("client", client_thread, &run);
  gint64 deadline;

  while (!g_atomic_int_get (&run.done))
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);

  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (sipcast_rest_listener_get_n_connections (fixture->listener) > 0 &&
         g_get_monotonic_time () < deadline) {
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (1000);
  }
  g_assert_cmpuint (sipcast_rest_listener_get_n_connections (fixture->listener), ==, 0);
}

static void
fresh_connections (Fixture *fixture)
{
  for (guint i = 0; i < 300; i++) {
    int fd = connect_client (fixture);
    g_autofree char *status = NULL;

    send_all (fd, REQUEST, strlen (REQUEST));
    status = read_response (fd);
    g_assert_cmpstr (status, ==, "HTTP/1.1 200 OK");
    close (fd);
  }
}

static void
test_fresh_connections (Fixture       *fixture,
                        gconstpointer  data)
{
  guint before = count_fds ();

  /* The case libsoup 3.2 leaks: an answer, then the client closes. */
  run_client (fixture, fresh_connections);
  g_assert_cmpuint (count_fds (), ==, before);
}

static void
kept_alive (Fixture *fixture)
{
  int fd = connect_client (fixture);

  for (guint i = 0; i < 300; i++) {
    g_autofree char *status = NULL;

    send_all (fd, REQUEST, strlen (REQUEST));
    status = read_response (fd);
    g_assert_cmpstr (status, ==, "HTTP/1.1 200 OK");
  }
  close (fd);
}

static void
test_keep_alive (Fixture       *fixture,
                 gconstpointer  data)
{
  guint before = count_fds ();

  run_client (fixture, kept_alive);
  g_assert_cmpuint (count_fds (), ==, before);
}

static void
pipelined (Fixture *fixture)
{
  for (guint i = 0; i < 50; i++) {
    int fd = connect_client (fixture);
    g_autofree char *answers = NULL;
    g_auto (GStrv) parts = NULL;

    /* Three requests at once, then the end of what the client sends: all
     * three are answered, then the server closes. */
    send_all (fd, REQUEST REQUEST REQUEST, strlen (REQUEST) * 3);
    shutdown (fd, SHUT_WR);
    answers = read_all (fd);
    parts = g_strsplit (answers, "HTTP/1.1 200 OK", -1);
    g_assert_cmpuint (g_strv_length (parts), ==, 4);
    close (fd);
  }
}

static void
test_pipelined_half_closed (Fixture       *fixture,
                            gconstpointer  data)
{
  run_client (fixture, pipelined);
}

static void
abandoned (Fixture *fixture)
{
  int silent = connect_client (fixture);
  int half = connect_client (fixture);
  int idle = connect_client (fixture);
  g_autofree char *status = NULL;

  send_all (half, REQUEST, 20);
  send_all (idle, REQUEST, strlen (REQUEST));
  status = read_response (idle);
  g_assert_cmpstr (status, ==, "HTTP/1.1 200 OK");

  /* idle-timeout is 1 s: the server closes all three, without a word. */
  for (guint i = 0; i < 3; i++) {
    int fd = i == 0 ? silent : i == 1 ? half : idle;
    g_autofree char *after = read_all (fd);

    g_assert_cmpstr (after, ==, "");
    close (fd);
  }
}

static void
test_abandoned_are_closed (Fixture       *fixture,
                           gconstpointer  data)
{
  run_client (fixture, abandoned);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/rest-listener/fresh-connections", Fixture, NULL, setup,
              test_fresh_connections, teardown);
  g_test_add ("/rest-listener/keep-alive", Fixture, NULL, setup,
              test_keep_alive, teardown);
  g_test_add ("/rest-listener/pipelined-half-closed", Fixture, NULL, setup,
              test_pipelined_half_closed, teardown);
  g_test_add ("/rest-listener/abandoned-are-closed", Fixture, NULL, setup,
              test_abandoned_are_closed, teardown);
  return g_test_run ();
}
