// loadclient: the two loads the shared sse-fanout tool does not make.
//
//	burst: N clients at once, each on a new connection, POST /book {} and read the
//	       answer; prints how many got each status, transport errors, and the time
//	       from the first dial to the last answer.
//	hold:  N idle GET /events subscribers, each read until its first event; prints
//	       "ready" and holds them until stdin closes (so the caller can read the
//	       server's memory with every subscriber open).
//	watch: N GET /events subscribers noting when each sees each version; prints
//	       "ready" once all have their first event, then reads the versions to wait
//	       for from stdin (one a line, until it closes) and prints, per version, the
//	       wall-clock time the last subscriber saw it (ns), and how many never did.
//	       Several watchers on one machine share the clock, so a caller can spread
//	       more subscribers than one process may hold open over several of them.
//
// Written in Go so that the client, pinned to its own core, is never the bottleneck.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	mode := flag.String("mode", "burst", "burst, hold or watch")
	addr := flag.String("addr", "127.0.0.1:8888", "host:port")
	n := flag.Int("n", 10000, "clients")
	flag.Parse()
	switch *mode {
	case "burst":
		burst(*addr, *n)
	case "hold":
		hold(*addr, *n)
	case "watch":
		watch(*addr, *n)
	default:
		fmt.Fprintln(os.Stderr, "unknown mode", *mode)
		os.Exit(2)
	}
}

const bookRequest = "POST /book HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n" +
	"Content-Length: 2\r\nConnection: close\r\n\r\n{}"

func burst(addr string, n int) {
	var mu sync.Mutex
	statuses := map[int]int{}
	errors := map[string]int{}
	var wg sync.WaitGroup
	start := make(chan struct{})
	var began time.Time
	var lastAnswer time.Time
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			status, err := bookOnce(addr)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errors[classify(err)]++
				return
			}
			statuses[status]++
			lastAnswer = time.Now()
		}()
	}
	// Every goroutine is parked on the channel: closing it releases all N at once.
	began = time.Now()
	close(start)
	wg.Wait()
	out := map[string]any{
		"mode": "burst", "clients": n, "statuses": statuses, "errors": errors,
		"decide_all_ms": float64(lastAnswer.Sub(began).Microseconds()) / 1e3,
	}
	json.NewEncoder(os.Stdout).Encode(out)
}

func bookOnce(addr string) (int, error) {
	conn, err := net.DialTimeout("tcp", addr, 30*time.Second)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := io.WriteString(conn, bookRequest); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, err
}

func classify(err error) string {
	text := err.Error()
	for _, kind := range []string{"connection reset", "connection refused", "timeout", "broken pipe", "EOF"} {
		if strings.Contains(text, kind) {
			return kind
		}
	}
	return text
}

func hold(addr string, n int) {
	conns := make([]net.Conn, 0, n)
	for i := 0; i < n; i++ {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "dial:", err)
			os.Exit(1)
		}
		fmt.Fprintf(conn, "GET /events HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n")
		conns = append(conns, conn)
		if i%500 == 499 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	// A subscriber counts once its first event (the snapshot) has arrived.
	var wg sync.WaitGroup
	failed := 0
	var mu sync.Mutex
	for _, conn := range conns {
		wg.Add(1)
		go func(conn net.Conn) {
			defer wg.Done()
			conn.SetReadDeadline(time.Now().Add(60 * time.Second))
			reader := bufio.NewReader(conn)
			for {
				line, err := reader.ReadString('\n')
				if err != nil {
					mu.Lock()
					failed++
					mu.Unlock()
					return
				}
				if strings.HasPrefix(line, "data:") {
					conn.SetReadDeadline(time.Time{})
					return
				}
			}
		}(conn)
	}
	wg.Wait()
	if failed > 0 {
		fmt.Fprintln(os.Stderr, failed, "subscribers got no first event")
		os.Exit(1)
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	for _, conn := range conns {
		conn.Close()
	}
}

type watcher struct {
	mu   sync.Mutex
	seen map[int]int64 // version -> wall-clock ns when this subscriber read its id
}

func watch(addr string, n int) {
	watchers := make([]*watcher, n)
	ready := make(chan struct{}, n)
	for i := range watchers {
		w := &watcher{seen: map[int]int64{}}
		watchers[i] = w
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "dial:", err)
			os.Exit(1)
		}
		fmt.Fprintf(conn, "GET /events HTTP/1.1\r\nHost: bench\r\nAccept: text/event-stream\r\n\r\n")
		go func(conn net.Conn, w *watcher) {
			reader := bufio.NewReaderSize(conn, 65536)
			first := true
			for {
				line, err := reader.ReadString('\n')
				if err != nil {
					return
				}
				if !strings.HasPrefix(line, "id:") {
					continue
				}
				version, err := strconv.Atoi(strings.TrimSpace(line[3:]))
				if err != nil {
					continue
				}
				w.mu.Lock()
				w.seen[version] = time.Now().UnixNano()
				w.mu.Unlock()
				if first {
					first = false
					ready <- struct{}{}
				}
			}
		}(conn, w)
		if i%500 == 499 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	deadline := time.After(60 * time.Second)
	for i := 0; i < n; i++ {
		select {
		case <-ready:
		case <-deadline:
			fmt.Fprintln(os.Stderr, "only", i, "subscribers got a first event")
			os.Exit(1)
		}
	}
	fmt.Println("ready")
	var versions []int
	scanner := bufio.NewScanner(os.Stdin)
	for scanner.Scan() {
		if version, err := strconv.Atoi(strings.TrimSpace(scanner.Text())); err == nil {
			versions = append(versions, version)
		}
	}
	last := map[string]int64{}
	missed := 0
	wait := time.Now().Add(30 * time.Second)
	for _, version := range versions {
		for _, w := range watchers {
			for {
				w.mu.Lock()
				at, ok := w.seen[version]
				w.mu.Unlock()
				if ok {
					if at > last[strconv.Itoa(version)] {
						last[strconv.Itoa(version)] = at
					}
					break
				}
				if time.Now().After(wait) {
					missed++
					break
				}
				time.Sleep(time.Millisecond)
			}
		}
	}
	json.NewEncoder(os.Stdout).Encode(map[string]any{"mode": "watch", "subscribers": n, "last_ns": last, "missed": missed})
}
