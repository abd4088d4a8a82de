%% wbench.erl -- the Erlang/OTP side of ward's benchmarks (run-bench.sh).
%% Each measure does the same work as its ward script and prints
%% "RESULT <value>":
%%   spawn N      µs per spawn(fun() -> ok end), the parent's loop
%%   spawnmon N   µs per spawn_monitor + exit, until all N 'DOWN' arrived
%%   spawnseq N   µs per spawn_monitor + exit + 'DOWN', one process at a time
%%   idle N       KB per process blocked in receive: RSS growth / N, then
%%                erlang:memory(processes) growth / N
%%   msg M        msg/s, one sender -> one receiver, acks every K, W*K in flight
%% Spawn measures run a warm-up round of N/10 first, as the ward scripts do.
-module(wbench).
-export([main/1]).

-define(K, 1000).
-define(W, 20).

now_us() -> erlang:monotonic_time(microsecond).

main([What, NStr]) ->
    N = list_to_integer(NStr),
    R = case What of
            "spawn" -> spawn_plain(N);
            "spawnmon" -> spawn_mon(N);
            "spawnseq" -> spawn_seq(N);
            "idle" -> idle(N);
            "msg" -> msg(N)
        end,
    io:format("RESULT ~s~n", [R]),
    halt(0).

fmt(F) -> io_lib:format("~.3f", [float(F)]).

%% ---- spawn + exit ----
spawn_plain(N) ->
    spawn_loop(N div 10),
    T0 = now_us(),
    spawn_loop(N),
    fmt((now_us() - T0) / N).

spawn_loop(0) -> ok;
spawn_loop(N) -> spawn(fun() -> ok end), spawn_loop(N - 1).

spawn_mon(N) ->
    %% Keep the 'DOWN' backlog off the parent's heap, or each GC copies it.
    process_flag(message_queue_data, off_heap),
    mon_round(N div 10),
    T0 = now_us(),
    mon_round(N),
    fmt((now_us() - T0) / N).

mon_round(N) -> mon_loop(N), wait_down(N).
mon_loop(0) -> ok;
mon_loop(N) -> spawn_monitor(fun() -> ok end), mon_loop(N - 1).
wait_down(0) -> ok;
wait_down(N) -> receive {'DOWN', _, process, _, normal} -> wait_down(N - 1) end.

spawn_seq(N) ->
    seq_loop(N div 10),
    T0 = now_us(),
    seq_loop(N),
    fmt((now_us() - T0) / N).

seq_loop(0) -> ok;
seq_loop(N) ->
    {_, Ref} = spawn_monitor(fun() -> ok end),
    receive {'DOWN', Ref, process, _, normal} -> ok end,
    seq_loop(N - 1).

%% ---- idle memory ----
rss_kb() ->
    {ok, B} = file:read_file("/proc/self/status"),
    [L | _] = [X || X <- binary:split(B, <<"\n">>, [global]),
                    binary:match(X, <<"VmRSS:">>) =/= nomatch],
    [_, V | _] = binary:split(L, [<<" ">>, <<"\t">>], [global, trim_all]),
    binary_to_integer(V).

idle(N) ->
    Me = self(),
    Idle = fun() -> Me ! up, receive stop -> ok end end,
    Warm = [spawn(Idle) || _ <- lists:seq(1, 100)],
    wait_up(100),
    garbage_collect(),
    timer:sleep(300),
    R0 = rss_kb(), P0 = erlang:memory(processes),
    Ps = [spawn(Idle) || _ <- lists:seq(1, N)],
    wait_up(N),
    garbage_collect(),
    timer:sleep(300),
    R1 = rss_kb(), P1 = erlang:memory(processes),
    true = length(Ps) + length(Warm) > 0,
    io_lib:format("~.2f ~.2f", [(R1 - R0) / N, (P1 - P0) / 1024 / N]).

wait_up(0) -> ok;
wait_up(N) -> receive up -> wait_up(N - 1) end.

%% ---- one sender -> one receiver ----
msg(M) ->
    Me = self(),
    R = spawn(fun() -> recv(Me, M, 0, 0) end),
    timer:sleep(50),
    T0 = now_us(),
    send_loop(R, 1, M, 0),
    {Got, Sum} = receive {done, G, S} -> {G, S} end,
    T1 = now_us(),
    {M, Sum} = {Got, M * (M + 1) div 2},     % no message lost or duplicated
    fmt(M / ((T1 - T0) / 1.0e6)).

send_loop(_, I, M, _) when I > M -> ok;
send_loop(R, I, M, Acked) ->
    R ! {n, I},
    Acked1 = case I rem ?K =:= 0 andalso I >= ?W * ?K of
                 true -> wait_ack(Acked, I - (?W - 1) * ?K);
                 false -> Acked
             end,
    send_loop(R, I + 1, M, Acked1).

wait_ack(Acked, Need) when Acked >= Need -> Acked;
wait_ack(_, Need) -> receive {ack, A} -> wait_ack(A, Need) end.

recv(S, M, M, Sum) -> S ! {done, M, Sum};
recv(S, M, Got, Sum) ->
    receive
        {n, V} ->
            G = Got + 1,
            case G rem ?K of 0 -> S ! {ack, G}; _ -> ok end,
            recv(S, M, G, Sum + V)
    end.
