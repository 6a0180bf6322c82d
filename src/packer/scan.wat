;; The live view's fast path in WebAssembly: PlainScanner.scan of src/packer/scan.ts, the
;; same as its scanPlainJs, 16 bytes at a time where it can.
;;
;; scan(pos, end, out): the block of lines is in memory at [0, end); the view of its plain
;; progress lines from `pos` is written from `out` on (never inside [0, end)), and scan
;; returns where it ends. `stop` is then the start of the first line that is not plain
;; progress, or -1. A 16-byte store may write up to 16 bytes past the view's end: the
;; caller leaves that room.
;;
;; A plain progress line is `^\d{1,15},[^,\n]*,ui,(say|message),TEXT` with no CR; its view
;; is TEXT with "%!(PACKER_COMMA)" -> ",", backslash-n -> LF, backslash-r -> CR (left to
;; right), then LF. Multi-byte constants below are little-endian: 0x2c69752c is ",ui,",
;; 0x2c796173 "say,", 0x2c6567617373656d "message,", and the two halves of
;; "%!(PACKER_COMMA)" are 0x454b434150282125 and 0x29414d4d4f435f52.
;;
;; `npm run wasm` assembles this file (wabt) into scan-wasm.ts; a test fails when the two differ.
(module
  (memory (export "memory") 2)
  (global $stop (export "stop") (mut i32) (i32.const -1))

  (func (export "scan") (param $pos i32) (param $end i32) (param $o i32) (result i32)
    (local $i i32) (local $b i32) (local $lineOut i32) (local $v v128) (local $n i32)
    (loop $line
      (global.set $stop (local.get $pos))
      (local.set $i (local.get $pos))
      ;; the timestamp: 1 to 15 digits, then a comma
      (block $digitsDone
        (loop $digits
          (br_if $digitsDone (i32.ge_u (local.get $i) (local.get $end)))
          (local.set $b (i32.load8_u (local.get $i)))
          (br_if $digitsDone (i32.gt_u (i32.sub (local.get $b) (i32.const 0x30)) (i32.const 9)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $digits)))
      (if (i32.or
            (i32.or (i32.eq (local.get $i) (local.get $pos))
                    (i32.gt_u (i32.sub (local.get $i) (local.get $pos)) (i32.const 15)))
            (i32.or (i32.ge_u (local.get $i) (local.get $end))
                    (i32.ne (local.get $b) (i32.const 0x2c))))
        (then (return (local.get $o))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      ;; the target: anything up to the next comma (no newline)
      (block $targetDone
        (loop $target
          (br_if $targetDone (i32.ge_u (local.get $i) (local.get $end)))
          (local.set $b (i32.load8_u (local.get $i)))
          (br_if $targetDone (i32.eq (local.get $b) (i32.const 0x2c)))
          (br_if $targetDone (i32.eq (local.get $b) (i32.const 0x0a)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $target)))
      ;; ",ui," (0x2c69752c little-endian)
      (if (i32.or (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $end))
                  (i32.ne (i32.load (local.get $i)) (i32.const 0x2c69752c)))
        (then (return (local.get $o))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      ;; "say," or "message,"
      (if (i32.and (i32.le_u (i32.add (local.get $i) (i32.const 4)) (local.get $end))
                   (i32.eq (i32.load (local.get $i)) (i32.const 0x2c796173)))
        (then (local.set $i (i32.add (local.get $i) (i32.const 4))))
        (else
          (if (i32.and (i32.le_u (i32.add (local.get $i) (i32.const 8)) (local.get $end))
                       (i64.eq (i64.load (local.get $i)) (i64.const 0x2c6567617373656d)))
            (then (local.set $i (i32.add (local.get $i) (i32.const 8))))
            (else (return (local.get $o))))))
      (local.set $lineOut (local.get $o))
      ;; the text, up to the newline
      (block $eol
        (loop $text
          ;; 16 bytes at a time: copy up to the first LF, CR, "%" or backslash among them
          (if (i32.le_u (i32.add (local.get $i) (i32.const 16)) (local.get $end))
            (then
              (local.set $v (v128.load (local.get $i)))
              (local.set $n (i8x16.bitmask
                (v128.or
                  (v128.or (i8x16.eq (local.get $v) (v128.const i8x16 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10))
                           (i8x16.eq (local.get $v) (v128.const i8x16 13 13 13 13 13 13 13 13 13 13 13 13 13 13 13 13)))
                  (v128.or (i8x16.eq (local.get $v) (v128.const i8x16 37 37 37 37 37 37 37 37 37 37 37 37 37 37 37 37))
                           (i8x16.eq (local.get $v) (v128.const i8x16 92 92 92 92 92 92 92 92 92 92 92 92 92 92 92 92))))))
              (v128.store (local.get $o) (local.get $v))
              (if (i32.eqz (local.get $n))
                (then
                  (local.set $i (i32.add (local.get $i) (i32.const 16)))
                  (local.set $o (i32.add (local.get $o) (i32.const 16)))
                  (br $text)))
              (local.set $n (i32.ctz (local.get $n)))
              (local.set $i (i32.add (local.get $i) (local.get $n)))
              (local.set $o (i32.add (local.get $o) (local.get $n)))))
          (br_if $eol (i32.ge_u (local.get $i) (local.get $end)))
          (local.set $b (i32.load8_u (local.get $i)))
          (br_if $eol (i32.eq (local.get $b) (i32.const 0x0a)))
          (if (i32.eq (local.get $b) (i32.const 0x0d))
            (then (return (local.get $lineOut))))
          ;; "%!(PACKER_COMMA)" -> ","
          (if (i32.and (i32.eq (local.get $b) (i32.const 0x25))
                       (i32.le_u (i32.add (local.get $i) (i32.const 16)) (local.get $end)))
            (then
              (if (i32.and (i64.eq (i64.load (local.get $i)) (i64.const 0x454b434150282125))
                           (i64.eq (i64.load offset=8 (local.get $i)) (i64.const 0x29414d4d4f435f52)))
                (then
                  (i32.store8 (local.get $o) (i32.const 0x2c))
                  (local.set $o (i32.add (local.get $o) (i32.const 1)))
                  (local.set $i (i32.add (local.get $i) (i32.const 16)))
                  (br $text)))))
          ;; backslash-n -> LF, backslash-r -> CR
          (if (i32.and (i32.eq (local.get $b) (i32.const 0x5c))
                       (i32.lt_u (i32.add (local.get $i) (i32.const 1)) (local.get $end)))
            (then
              (local.set $n (i32.load8_u offset=1 (local.get $i)))
              (if (i32.or (i32.eq (local.get $n) (i32.const 0x6e)) (i32.eq (local.get $n) (i32.const 0x72)))
                (then
                  (i32.store8 (local.get $o) (select (i32.const 0x0a) (i32.const 0x0d) (i32.eq (local.get $n) (i32.const 0x6e))))
                  (local.set $o (i32.add (local.get $o) (i32.const 1)))
                  (local.set $i (i32.add (local.get $i) (i32.const 2)))
                  (br $text)))))
          (i32.store8 (local.get $o) (local.get $b))
          (local.set $o (i32.add (local.get $o) (i32.const 1)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $text)))
      (i32.store8 (local.get $o) (i32.const 0x0a))
      (local.set $o (i32.add (local.get $o) (i32.const 1)))
      (if (i32.ge_u (local.get $i) (local.get $end))
        (then
          (global.set $stop (i32.const -1))
          (return (local.get $o))))
      (local.set $pos (i32.add (local.get $i) (i32.const 1)))
      (br $line))
    (unreachable))
)
