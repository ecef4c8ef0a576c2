# Reads a `quant4-run train --metrics` CSV (awk -F,) and prints
#   rows=N loss_falls=0|1 acc_above_floor=0|1 numbered=0|1 fields=F
# loss_falls: the training loss of the last epoch is below that of the first;
# acc_above_floor: the last epoch's test accuracy is above -v floor=F;
# numbered: the rows are epochs 1..N in order; fields: the number of fields
# of the header and of every row (0 if a row has another number).
NR == 1 { fields = NF; next }
{
  rows++; loss[rows] = $2 + 0; acc[rows] = $5 + 0
  if ($1 != rows) misnumbered = 1
  if (NF != fields) ragged = 1
}
END {
  printf "rows=%d loss_falls=%d acc_above_floor=%d numbered=%d fields=%d\n",
         rows, (rows >= 2 && loss[rows] < loss[1]) ? 1 : 0,
         (rows >= 1 && acc[rows] > floor) ? 1 : 0, !misnumbered,
         ragged ? 0 : fields
}
